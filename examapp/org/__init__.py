"""Units: city, districts, streets/townships and communities."""
