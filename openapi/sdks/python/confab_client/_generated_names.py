"""Every name the hand-written layer takes from the generated code, in one place: a rename in the
spec (and so in `generated`) is fixed here."""

from .generated.client import AuthenticatedClient
from .generated.models import MessageView, PrivateMessageBody

__all__ = ["AuthenticatedClient", "MessageView", "PrivateMessageBody"]
