"""What every case kind needs, exactly once, framework-free: the casework core (one transition table
type, one perform()), the one scope rule, the parameter parsers, the clock and the domain errors."""
