"""The question bank: versioned questions, grading rules, authoring, import and export."""
