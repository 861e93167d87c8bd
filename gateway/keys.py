"""Typed application keys shared by the gateway's modules."""

from __future__ import annotations

from aiohttp import web

from gatehouse.service_runtime import NatsLink
from gatehouse.settings import Settings
from gateway.clients import ServiceClients

SETTINGS = web.AppKey("settings", Settings)
CLIENTS = web.AppKey("clients", ServiceClients)
NATS = web.AppKey("nats", NatsLink)
