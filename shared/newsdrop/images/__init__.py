"""Photos dropped beside articles: which files are images, how an article names them, the image
function's checks and renditions (``process``, the only module that imports Pillow), and the records that
tie an image to the articles that show it."""
