"""Pure domain model: attrs classes, rules and state machines. Stdlib + attrs only."""
