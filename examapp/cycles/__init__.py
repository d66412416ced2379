"""The yearly accreditation cycle and the units' sealed records in it: what the exam and its results
write into, below them and below the accreditation checks that read it."""
