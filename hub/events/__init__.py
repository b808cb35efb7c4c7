"""The event receiver (`hub serve-events`) and what the events sensor needs from it."""
