"""二看 (inspection): the checklist of the standard's sections 一 and 六, judged item by item."""
