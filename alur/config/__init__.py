"""Project loading: YAML files into typed, compiled models; every problem names file and line."""

from alur.config.project import Project, ProjectInvalid, ProjectSettings, load_project
from alur.config.yamlsrc import Problem

__all__ = ["Problem", "Project", "ProjectInvalid", "ProjectSettings", "load_project"]
