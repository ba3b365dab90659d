"""Model files: loading with clear errors, inspection, and the bundled model zoo."""

from edgeweave.models.artifact import ModelArtifact, TensorSpec, inspect_model
from edgeweave.models.loader import load_model

__all__ = ["ModelArtifact", "TensorSpec", "inspect_model", "load_model"]
