-- date plus/minus intervals over fields: $dateAdd in months and milliseconds
BULK UPDATE c SET a = created + INTERVAL '30 days', b = created - INTERVAL '1 month', d = INTERVAL '1 year 2 hours' + created WHERE TRUE;
