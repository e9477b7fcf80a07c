"""The world: parameters, population, network, pathway rules, services, money."""

from model.params import ParameterError, Parameters
from model.welfare_model import WelfareModel

__all__ = ["ParameterError", "Parameters", "WelfareModel"]
