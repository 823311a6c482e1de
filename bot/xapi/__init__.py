"""What learners did, as xAPI 1.0.3 statements for a company's LRS (`lessonloop xapi export`)."""
