"""The watchdog's rules, one module each; each ``check(events, chain, thresholds, scope)`` yields alerts."""
