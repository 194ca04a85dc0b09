"""procflow's domain: deploy, run and persist BPMN procedures in SQL."""
