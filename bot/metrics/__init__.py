"""What the bot recorded, joined with the company's customer and revenue data, as the
numbers customer success, support and marketing read: computed in the database, for a
period in the company's time zone and a segment of learners or customers."""
