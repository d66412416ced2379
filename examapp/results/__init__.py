"""Results of an exam: per-unit scores under the notice's 95-point rule, sealing into the
accreditation record, corrections after the seal, the office's reports and item analysis."""
