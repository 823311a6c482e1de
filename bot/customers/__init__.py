"""Customer data in: what the company's CRM and billing know (customers, subscriptions,
orders, conversions), from a CSV file (`lessonloop import`) or one record at a time over
HTTP (`POST /data/<kind>`), checked row by row before anything is written, then upserted
on the company's own ids (`storage.customers`)."""
