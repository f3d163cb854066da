-- bare keys and single-quoted strings are normalised to strict JSON
BULK INSERT INTO c (a) VALUES ({name: 'O\'Brien', tags: ['a', "b"], $x_ok: 1, n: {deep: true}});
