"""What learners did, as xAPI 1.0.3 statements for a company's LRS: exported to a file
(`lessonloop xapi export`) or sent as it happens (`bot.xapi.sender`)."""
