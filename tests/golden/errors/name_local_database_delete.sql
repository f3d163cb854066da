-- local and config are refused as admin is
BULK DELETE FROM local.startup_log WHERE TRUE;
