"""Thin rasa_sdk actions: read the tracker, call bot/, return events.

rasa_sdk imports every module of this package and registers each Action
subclass; keep imports free of I/O.
"""
