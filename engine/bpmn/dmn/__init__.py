"""procflow's DMN engine: DMN 1.1-1.5 decision tables (every hit policy), literal expressions, required
decisions and business knowledge models, in FEEL translated to Python by engine.bpmn.expressions.

SpiffWorkflow's own DMN engine evaluates input entries as Python, so FEEL ranges and lists fail or
match nothing; business rule tasks use this one instead (engine.bpmn.dmn.task). May import
engine.bpmn.expressions and the standard library (and lxml, SpiffWorkflow for the task spec).
"""

from engine.bpmn.dmn.evaluation import DecisionEvaluator, plain_evaluate
from engine.bpmn.dmn.model import DMN_NAMESPACES, Decision, Definitions, DmnError, load_definitions, read_definitions

__all__ = ["DMN_NAMESPACES", "Decision", "DecisionEvaluator", "Definitions", "DmnError", "load_definitions",
           "plain_evaluate", "read_definitions"]
