"""推荐验收: the units a district recommends for the year's cycle, their application and materials,
handed in by the deadline or forfeited."""
