"""Customer progress: assessments now; personas, success maps, vehicles and plans as they land."""
