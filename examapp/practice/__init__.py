"""练习 and 模拟考试: staff practise the bank and sit mock exams; nothing here counts for any unit."""
