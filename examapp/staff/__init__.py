"""Staff accounts: the people who sit exams and the people who run them."""
