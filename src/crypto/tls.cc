// placeholder: implementation lands with issue 3
