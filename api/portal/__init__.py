"""The portal: its pages and their files (:mod:`.pages`), served by the node itself."""
