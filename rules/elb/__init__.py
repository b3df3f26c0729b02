"""Load balancing and Auto Scaling rules."""
