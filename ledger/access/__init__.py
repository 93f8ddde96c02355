"""Access: the access rule (:mod:`.rule`) and reads served under it (:mod:`.reads`)."""
