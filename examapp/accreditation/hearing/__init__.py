"""一听 (hearing): the unit's report and residents' satisfaction, by survey or public questionnaire."""
