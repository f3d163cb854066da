-- empty statements are skipped and the last statement needs no semicolon
;;
BULK DELETE FROM a WHERE TRUE;;
BULK DELETE FROM b WHERE TRUE
