"""The PMS150C peripherals as jitted functions over the core's state arrays.

Every peripheral is advanced lazily: the core calls `bus.catch_up` only at IO accesses that
need the exact present value (TM2CT, PA while Timer2 drives a pin, ldt16/stt16, writes to
timer registers) and at the cycle `bus.next_event` predicted. Between those points the CPU
runs with no peripheral work at all. The model they follow is docs/timing-model.md; the
user-facing description is docs/peripherals.md.
"""
