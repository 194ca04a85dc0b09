"""placeholder"""
UNCAUGHT_ERROR_PREFIX = "uncaught BPMN error"
