"""The yearly accreditation cycle the exam counts for."""
