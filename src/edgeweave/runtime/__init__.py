"""What runs a model on a device: device profile, backends, measurement, metrics."""

from edgeweave.runtime.device import DeviceProfile, detect_device

__all__ = ["DeviceProfile", "detect_device"]
