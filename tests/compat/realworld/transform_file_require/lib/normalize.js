exports.normalize = (text) => text.replace(/\s+/g, ' ').trim().toLowerCase();
