"""Rewrite an existing NeMo 2.0 training script so its precision plugin matches a legacy YAML.

The script is parsed with libcst and edited in place (formatting and comments kept); it is never
imported or executed.
"""
