"""o365lic: Microsoft 365 license reporting for MSPs."""
