// a placeholder: the web page replaces this file
