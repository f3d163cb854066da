-- x = JSON_ARRAY_APPEND(x, '$', v) becomes $push, v typed
BULK UPDATE c SET tags = JSON_ARRAY_APPEND(tags, '$', 'new'), log = JSON_ARRAY_APPEND(log, '$', {at: 1}) WHERE TRUE;
