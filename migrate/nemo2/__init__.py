"""Reading NeMo 2.0 / Megatron Bridge Python with libcst: parsed, never imported or executed."""
