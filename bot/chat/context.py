"""PTB's callback context with typed access to the services and the user's language.

:class:`~bot.services.container.Services` is created by ``build_application`` and stored in
``bot_data`` (which is not persisted).
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext

from bot.chat.checkout_bot import CheckoutBot
from bot.i18n import Translator, normalise_language, translator
from bot.services.container import Services

SERVICES_KEY = "services"


class ChatContext(CallbackContext[CheckoutBot, dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's context with typed access to our services and the user's translator."""

    @property
    def services(self) -> Services:
        """The application's services."""
        services: Services = self.bot_data[SERVICES_KEY]
        return services

    def language_for(self, update: object) -> str:
        """The user's chosen language, else their Telegram language, else the default."""
        chosen = _chosen_language(self.user_data)
        if chosen:
            return chosen
        user = update.effective_user if isinstance(update, Update) else None
        from_telegram = normalise_language(user.language_code if user else None)
        return from_telegram or self.services.settings.default_language

    def t(self, update: object) -> Translator:
        """The translator for the user behind ``update``."""
        return translator(self.language_for(update))


def services_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    """The services stored on an application (for lifecycle hooks and jobs)."""
    services: Services = application.bot_data[SERVICES_KEY]
    return services


def language_of_user(context: CallbackContext[Any, Any, Any, Any], user_id: int) -> str:
    """The language a user chose with /language, for messages sent outside their updates."""
    chosen = _chosen_language(context.application.user_data.get(user_id))
    return chosen or services_of(context.application).settings.default_language


def _chosen_language(user_data: object) -> str | None:
    """The supported language a user picked with /language, if any."""
    chosen = user_data.get("language") if isinstance(user_data, dict) else None
    return normalise_language(chosen) if isinstance(chosen, str) else None
