//! Block device drivers (drivers/block/): virtio-blk.

pub mod virtio_blk;
