-- soft_delete: $set deleted_at instead of deleting
BULK DELETE FROM users WHERE inactive = TRUE WITH DELETE_OPTIONS (soft_delete = TRUE);
