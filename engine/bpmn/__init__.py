"""procflow's extensions of SpiffWorkflow: parser, clock-aware timers, compact serializer, pruning."""
