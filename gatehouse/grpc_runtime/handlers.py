"""Rebuilding a gRPC method handler around a wrapped behaviour (what server interceptors do)."""

from __future__ import annotations

import grpc


def rewrap(handler, wrap_unary, wrap_stream):
    """`handler` with its behaviour wrapped: `wrap_unary` for calls answering one message
    (unary-unary, stream-unary), `wrap_stream` for calls answering a stream (unary-stream).
    Stream-stream handlers (none in Gatehouse) come back unchanged."""
    if handler is None:
        return None
    if handler.unary_unary:
        factory, behaviour, wrap = grpc.unary_unary_rpc_method_handler, handler.unary_unary, wrap_unary
    elif handler.stream_unary:
        factory, behaviour, wrap = grpc.stream_unary_rpc_method_handler, handler.stream_unary, wrap_unary
    elif handler.unary_stream:
        factory, behaviour, wrap = grpc.unary_stream_rpc_method_handler, handler.unary_stream, wrap_stream
    else:
        return handler
    return factory(
        wrap(behaviour),
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )
