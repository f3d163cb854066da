-- || binds tighter than comparison, arithmetic tighter than ||
BULK DELETE FROM c WHERE a || b = 'xy' AND n + 1 || 'z' <> '2z';
