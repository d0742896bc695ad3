"""Model providers: what decides which tools a task calls (DESIGN §4)."""

from .base import ModelProvider, ProviderNotConfigured, provider_for

__all__ = ["ModelProvider", "ProviderNotConfigured", "provider_for"]
