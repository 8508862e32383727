; calls itself until the stack leaves RAM
self:	call self
