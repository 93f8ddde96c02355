"""Notices to residents of reads of their data (SPEC §5): an outbox that follows the trail
(:mod:`ledger.notify.outbox`) and its delivery to the body's SMS / WeChat gateway by signed HTTP POST
(:mod:`ledger.notify.delivery`)."""
