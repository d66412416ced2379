"""Request plumbing every feature's views share: the unit of work, JSON bodies, form errors."""
